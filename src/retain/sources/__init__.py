"""Where transactions come from: files (each input opened once), export layouts."""

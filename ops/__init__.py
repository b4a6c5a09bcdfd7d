"""pyinfra facts and operations this project adds, shaped like pyinfra's own."""

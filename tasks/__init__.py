"""The deploy's concerns, one module each; every public function is a pyinfra @deploy."""

"""Pure logic of the deploy (validation, planning, calculations). Never imports pyinfra."""

"""What talks to the outside world: formatting for people and files, storage, mail, PDF, exports."""

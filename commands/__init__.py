"""The CLI's data commands: the demo data set and the large generated data set (outside the services)."""

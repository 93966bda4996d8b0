from skylight.cli.main import app

app()

from skylight.cli.main import main

main()

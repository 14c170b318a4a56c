from cloudops.cli import main

main()

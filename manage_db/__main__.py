from manage_db.cli import main

main()

from manage_db.launcher import main

main()

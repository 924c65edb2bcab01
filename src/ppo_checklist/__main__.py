from ppo_checklist.cli.app import main

main()

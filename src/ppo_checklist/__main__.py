from ppo_checklist.cli.commands import main

main()

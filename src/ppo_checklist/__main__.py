from ppo_checklist.cli import main

main()

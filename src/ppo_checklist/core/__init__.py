"""The pure core: the domain model, playbooks, the schedule, dates and message texts. No I/O, no clock."""

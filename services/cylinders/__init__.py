"""Gas cylinders (domain.md §6): the gas table, filling units' licences, fillers and
registrations, the cylinders (一瓶一码), the do-not-fill rules, and what stations send."""

"""One code per equipment: codes, cards, scans and bulk jobs (the `onecode` domain)."""

"""guestlist: the domain of event guest lists, free of AWS event shapes."""

puts -nonewline [string toupper [read stdin]]

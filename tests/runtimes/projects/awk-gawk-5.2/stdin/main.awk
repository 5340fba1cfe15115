{ print toupper($0) }

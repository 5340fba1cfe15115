print System.in.text.toUpperCase()

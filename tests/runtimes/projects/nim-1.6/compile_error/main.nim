echo undefined_thing + 1

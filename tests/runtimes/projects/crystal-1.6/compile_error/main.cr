puts undefined_thing + 1

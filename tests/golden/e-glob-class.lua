local x = glob { "*.c", exclude = { "x[[:alfa:]]" } }

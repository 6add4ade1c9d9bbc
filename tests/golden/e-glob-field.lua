local x = glob { "**/*.c", exlude = { "x" } }

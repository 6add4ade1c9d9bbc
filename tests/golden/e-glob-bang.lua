local x = glob { "*.c", "!main.c" }

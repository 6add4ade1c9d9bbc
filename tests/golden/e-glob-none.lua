local x = glob {}

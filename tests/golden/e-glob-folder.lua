local x = glob "sub/"

local x = glob "/etc/*.conf"

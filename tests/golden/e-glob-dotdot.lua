local x = glob "../*.lua"

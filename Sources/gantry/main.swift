print("gantry: under construction")

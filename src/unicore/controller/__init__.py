"""The controller: from a report's needs to a plan of pool libraries, each with its reasons."""

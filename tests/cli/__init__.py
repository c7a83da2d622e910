"""The operator's command line (cli/), run as an operator runs it: python main.py …"""

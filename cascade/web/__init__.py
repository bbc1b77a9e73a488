"""The server-rendered pages: scorecards, maps, the cascade, initiatives, results entry and print views."""

"""The public's pages (no login, phone-first): the opinion box of each organization, tracking
an opinion with its receipt code; later the commitments board and evaluation (decision 0021)."""

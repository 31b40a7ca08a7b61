"""Domain operations: one function per state change, called alike by debtor pages, staff
pages, the API and reply handling (promises, disputes, reminder pauses). Plain functions
taking objects and data, never the request; the caller commits."""

// community-ledger workspace: the forms of every kind a trustee records (in progress).

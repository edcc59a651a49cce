// community-ledger workspace: the receipt page's print button.
document.getElementById('print').addEventListener('click', () => window.print());

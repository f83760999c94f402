// PLACEHOLDER: the dashboard entry, replaced by its owner.
document.body.textContent = 'gradpilot';

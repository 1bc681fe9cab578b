// Send a form that only carries a gateway's answer back to Haat, as the gateway's page would.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());

// The checkout page's script, written against Klarna's documented JavaScript SDK
// (Klarna.Payments.init / load / authorize / finalize). It does not know whether the
// SDK came from Klarna's CDN or from the simulator.
"use strict";

const checkout = JSON.parse(document.getElementById("checkout-data").textContent);
const element = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const payButton = element("pay");
const finalizeButton = element("finalize");

function selectedCategory() {
  return document.querySelector('input[name="category"]:checked').value;
}

function show(testid, text) {
  for (const id of ["payment-declined", "not-approved", "checkout-error"]) {
    element(id).hidden = id !== testid;
  }
  if (text !== undefined) element(testid).textContent = text;
}

// One radio button per payment method category of the session.
for (const [index, category] of checkout.payment_method_categories.entries()) {
  const label = document.createElement("label");
  const input = document.createElement("input");
  Object.assign(input, { type: "radio", name: "category", value: category.identifier });
  input.checked = index === 0;
  input.addEventListener("change", loadWidget);
  label.append(input, " " + category.name);
  document.getElementById("categories").append(label, document.createElement("br"));
}

// Klarna's SDK calls this once it has loaded.
window.klarnaAsyncCallback = function () {
  try {
    Klarna.Payments.init({ client_token: checkout.client_token });
    loadWidget();
  } catch (error) {
    show("checkout-error", `Klarna could not start: ${error.name}: ${error.message}`);
  }
};

function loadWidget() {
  payButton.disabled = true;
  Klarna.Payments.load(
    { container: "#klarna-payments-container", payment_method_category: selectedCategory() },
    {},
    function (result) {
      if (result.show_form) payButton.disabled = false;
      else show("checkout-error", "This payment method is not available for the purchase.");
    },
  );
}

payButton.addEventListener("click", function () {
  payButton.disabled = true;
  Klarna.Payments.authorize(
    // A multi-step checkout approves first and confirms on a later step.
    { payment_method_category: selectedCategory(), auto_finalize: !checkout.multistep },
    {},
    handleAuthorization,
  );
});

finalizeButton.addEventListener("click", function () {
  finalizeButton.disabled = true;
  Klarna.Payments.finalize({ payment_method_category: selectedCategory() }, {}, handleAuthorization);
});

// The callback of authorize and finalize: {show_form, approved, authorization_token,
// finalize_required, error}.
function handleAuthorization(result) {
  if (result.approved && result.authorization_token) {
    placeOrder(result.authorization_token);
  } else if (result.finalize_required) {
    payButton.hidden = true;
    finalizeButton.hidden = false;
  } else if (!result.show_form) {
    // A final rejection: Klarna is not an option for this purchase.
    show("payment-declined");
    payButton.hidden = true;
    document.getElementById("klarna-payments-container").hidden = true;
  } else {
    // Not approved, but the shopper can fix something and try again.
    show("not-approved");
    payButton.disabled = false;
  }
}

// The backend places the order with the token (it never stays in the page).
async function placeOrder(authorizationToken) {
  const session = encodeURIComponent(checkout.session_id);
  let answer;
  try {
    answer = await fetch(`/checkout/${session}/order`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ authorization_token: authorizationToken }),
    });
  } catch (error) {
    // Klarna's authorization callback still reaches the backend, which places the order.
    show("checkout-error", `The shop could not be reached (${error.message}); your order is being placed.`);
    return;
  }
  if (!answer.ok) {
    show("checkout-error", `The order could not be placed: ${await answer.text()}`);
    return;
  }
  const order = await answer.json();
  window.location.assign(order.redirect_url);
}

// Progressive enhancement only: every page works without this file.
// On the order form, a product's option fields show once its quantity is above zero.
document.addEventListener("DOMContentLoaded", () => {
  for (const product of document.querySelectorAll(".product[data-slot]")) {
    const quantity = product.querySelector("input[name$='-quantity']");
    const options = product.querySelector(".options");
    if (!quantity || !options || options.querySelector(".invalid")) continue;
    const sync = () => options.classList.toggle("hidden-by-js", !(parseInt(quantity.value, 10) > 0));
    quantity.addEventListener("input", sync);
    sync();
  }
});

// Printouts: the Print button prints the page (the print stylesheet leaves the console out).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print");
  if (button) button.addEventListener("click", () => window.print());
});

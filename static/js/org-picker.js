// An organization picker: a search field whose suggestions come from the organizations API
// as the user types (name, code or division code); choosing one fills the hidden id field
// beside it. Without script the words typed are sent and the server looks them up.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("[data-org-picker]")) {
    const text = box.querySelector("input[type=search]");
    const hidden = box.querySelector("input[type=hidden]");
    const list = box.querySelector("datalist");
    let found = new Map(hidden.value ? [[text.value, hidden.value]] : []);
    let timer = null;
    text.addEventListener("input", () => {
      const words = text.value.trim();
      hidden.value = found.get(text.value) || "";
      clearTimeout(timer);
      if (hidden.value || !words) return;
      timer = setTimeout(async () => {
        const url = `${box.dataset.orgPicker}?limit=10&q=${encodeURIComponent(words)}`;
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const page = await response.json();
        found = new Map();
        list.replaceChildren();
        for (const org of page.items) {
          const label = `${org.name}（${org.code}）`;
          found.set(label, String(org.id));
          const option = document.createElement("option");
          option.value = label;
          list.append(option);
        }
        hidden.value = found.get(text.value) || "";
      }, 200);
    });
  }
});

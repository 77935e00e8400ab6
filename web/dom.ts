/** The element with this id; the app's HTML (index.html) defines every id it asks for. */
export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no element #${id}`);
  return el;
}

export function setStatus(id: string, text: string): void {
  $(id).textContent = text;
}

// Images attached to the next message (file button or drag and drop), kept as the base64 /api/chat takes.

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** The attachments shown as thumbnails in `container`: add(files), count(), take() (and clear), clear(). */
export function attachImages(container) {
  let attached = [];  // [{data, url}]

  function draw() {
    container.replaceChildren(...attached.map((image, i) => {
      const thumb = document.createElement("button");
      thumb.type = "button";
      thumb.className = "thumb";
      thumb.title = "Remove";
      const img = document.createElement("img");
      img.src = image.url;
      img.alt = "attached image";
      thumb.append(img);
      thumb.addEventListener("click", () => {
        attached.splice(i, 1);
        draw();
      });
      return thumb;
    }));
  }

  return {
    async add(files) {
      for (const file of [...files].filter((f) => f.type.startsWith("image/"))) {
        const data = await base64Of(file);
        attached.push({ data, url: `data:${file.type};base64,${data}` });
      }
      draw();
    },
    count: () => attached.length,
    take() {
      const data = attached.map((image) => image.data);
      attached = [];
      draw();
      return data;
    },
    clear() {
      attached = [];
      draw();
    },
  };
}

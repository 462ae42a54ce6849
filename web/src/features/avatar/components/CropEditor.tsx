import { type KeyboardEvent, type PointerEvent, useEffect, useId, useRef, useState } from "react";
import { type Crop, type Size, panCrop, zoomCrop } from "../upload/geometry";

interface Props {
  previewUrl: string;
  size: Size;
  crop: Crop;
  onChange: (crop: Crop) => void;
}

/** A square crop with a locked aspect ratio: drag (or arrow keys) to move, slider (or +/-) to zoom. */
export function CropEditor({ previewUrl, size, crop, onChange }: Props) {
  const viewport = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(280);
  const drag = useRef<{ x: number; y: number; crop: Crop } | null>(null);
  const hintId = useId();
  const zoomId = useId();

  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const measure = () => setWidth(element.clientWidth || 280);
    measure();
    const observer = typeof ResizeObserver !== "undefined" ? new ResizeObserver(measure) : null;
    observer?.observe(element);
    return () => observer?.disconnect();
  }, []);

  const scale = width / crop.size;
  const zoom = Math.min(size.width, size.height) / crop.size;

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { x: event.clientX, y: event.clientY, crop };
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    const start = drag.current;
    if (!start) return;
    onChange(panCrop(start.crop, size, event.clientX - start.x, event.clientY - start.y, width));
  };
  const onPointerUp = () => {
    drag.current = null;
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = width * 0.05;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [step, 0],
      ArrowRight: [-step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    if (event.key in moves) {
      const [dx, dy] = moves[event.key];
      onChange(panCrop(crop, size, dx, dy, width));
    } else if (event.key === "+" || event.key === "=") {
      onChange(zoomCrop(crop, size, zoom * 1.1));
    } else if (event.key === "-") {
      onChange(zoomCrop(crop, size, zoom / 1.1));
    } else {
      return;
    }
    event.preventDefault();
  };

  return (
    <div className="crop">
      <div
        ref={viewport}
        className="crop-viewport"
        tabIndex={0}
        role="group"
        aria-roledescription="crop area"
        aria-label="Square crop of your photo"
        aria-describedby={hintId}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onKeyDown={onKeyDown}
        data-testid="crop-viewport"
      >
        <img
          src={previewUrl}
          alt="Preview of the photo you chose"
          draggable={false}
          style={{
            width: size.width * scale,
            height: size.height * scale,
            transform: `translate(${-crop.x * scale}px, ${-crop.y * scale}px)`,
          }}
        />
        <span className="crop-mask" aria-hidden="true" />
      </div>
      <p className="field-hint" id={hintId}>
        Drag the photo, or use the arrow keys, to choose what shows. The circle is how it will look.
      </p>
      <div className="crop-zoom">
        <label htmlFor={zoomId}>Zoom</label>
        <input
          id={zoomId}
          type="range"
          min={1}
          max={4}
          step={0.01}
          value={zoom}
          aria-valuetext={`${zoom.toFixed(1)} times`}
          onChange={(e) => onChange(zoomCrop(crop, size, Number(e.target.value)))}
        />
      </div>
    </div>
  );
}

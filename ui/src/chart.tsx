// Apache ECharts in a Preact component. ECharts itself (./echarts.ts) is a separate bundle, loaded
// the first time a chart mounts.
import type { EChartsCoreOption, EChartsType } from "echarts/core";
import { useEffect, useRef } from "preact/hooks";

export type ChartOption = EChartsCoreOption;

let library: Promise<typeof import("./echarts.js")> | undefined;
const loadLibrary = () => {
  library ??= import("./echarts.js");
  return library;
};

export function Chart(props: { option: ChartOption; height?: number; label: string; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsType>();
  const option = useRef(props.option);
  option.current = props.option;
  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | undefined;
    void loadLibrary().then(({ init }) => {
      if (disposed || !ref.current) return;
      const c = init(ref.current, undefined, { renderer: "canvas" });
      chart.current = c;
      c.setOption({ animation: false, ...option.current }, true);
      observer = new ResizeObserver(() => c.resize());
      observer.observe(ref.current);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = undefined;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption({ animation: false, ...props.option }, true);
  }, [props.option]);
  return (
    <div
      class="chart"
      ref={ref}
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      style={{ height: `${props.height ?? 280}px` }}
    />
  );
}

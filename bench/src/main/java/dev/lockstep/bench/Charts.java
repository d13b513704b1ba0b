package dev.lockstep.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts of a benchmark's samples, drawn by XChart (headless). */
final class Charts {
    private Charts() {}

    /**
     * Bars of each subject's median, one series per measure (e.g. wall and CPU seconds), each sample of a series as a
     * point would be lost in a bar: the CSV beside it has them all.
     */
    static Path bars(Path file, String title, String yTitle, List<String> subjects, Map<String, List<Double>> series)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(900).height(520).title(title).xAxisTitle("").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("0.00");
        series.forEach((name, values) -> chart.addSeries(name, subjects, values));
        return save(chart, file);
    }

    /** Each latency's distribution as its cumulative share: seconds across, the share of samples at or under them up. */
    static Path distributions(Path file, String title, Map<String, List<Double>> latencies) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(480).title(title).xAxisTitle("seconds")
                .yAxisTitle("share of samples, %").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        latencies.forEach((name, values) -> {
            List<Double> sorted = Report.sorted(values).stream().map(v -> Math.max(v, 0.001)).toList();
            if (sorted.isEmpty()) {
                return;
            }
            List<Double> share = IntStream.rangeClosed(1, sorted.size()).mapToObj(i -> 100.0 * i / sorted.size()).toList();
            chart.addSeries(name + " (n=" + sorted.size() + ")", sorted, share).setMarker(SeriesMarkers.NONE);
        });
        return save(chart, file);
    }

    static Path line(Path file, String title, String xTitle, String yTitle, List<Double> x, List<Double> y) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(480).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(false);
        chart.addSeries(yTitle, x, y).setMarker(SeriesMarkers.NONE);
        return save(chart, file);
    }

    /** One line per measure against a common x (sizes), with markers at the measured points. */
    static Path lines(Path file, String title, String xTitle, List<Double> x, Map<String, List<Double>> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(480).title(title).xAxisTitle(xTitle).yAxisTitle("").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        series.forEach((name, y) -> chart.addSeries(name, x, y));
        return save(chart, file);
    }

    private static Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        String name = file.getFileName().toString().replaceFirst("\\.png$", "");
        BitmapEncoder.saveBitmap(chart, file.getParent().resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }
}

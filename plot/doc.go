// Package plot draws smd's figures with gonum/plot: line panels of the
// recorded series with theory overlaid and ± SE bands, heat maps with
// contours and a colour bar, and multi-panel figures with one legend per
// row (or beside a panel), written as PNG or SVG (fonts embedded); reproduce,
// plot, sweep, train and measure all draw through it. It is the only package that imports gonum/plot; it knows
// nothing of the simulation, only of curves and grids.
package plot

// Package plot draws smd's figures with gonum/plot: line panels of the
// recorded series with theory overlaid, heat maps with contours, and
// multi-panel figures with one legend per row, written as PNG or SVG (fonts
// embedded). It is the only package that imports gonum/plot; it knows
// nothing of the simulation, only of curves and grids.
package plot

package app.enduco.sdk

import app.enduco.sdk.model.ExportFormat
import app.enduco.sdk.model.IntensityZones
import app.enduco.sdk.model.PlannedWorkout

// The core's plan writers (`PlannedWorkout::export`) as methods of the model. Zone targets are
// resolved with [zones] (the user's `intensityZones()`); a step the format cannot hold throws
// `EnducoException.InvalidInput` naming it. The bytes are the file's whole content.

/** A FIT workout file (file type 5) for Garmin, Wahoo and Hammerhead head units. */
fun PlannedWorkout.toFitWorkout(zones: IntensityZones? = null): ByteArray = exportPlan(this, ExportFormat.FIT, zones)

/** A Zwift workout (`.zwo` XML), power relative to the threshold in [zones]. */
fun PlannedWorkout.toZwo(zones: IntensityZones? = null): String = String(exportPlan(this, ExportFormat.ZWO, zones))

/** An ERG file: minutes and absolute watts. */
fun PlannedWorkout.toErg(zones: IntensityZones? = null): String = String(exportPlan(this, ExportFormat.ERG, zones))

/** An MRC file: minutes and percent of the threshold. */
fun PlannedWorkout.toMrc(zones: IntensityZones? = null): String = String(exportPlan(this, ExportFormat.MRC, zones))

//! The designer's pointer handling as a pure state machine: inputs (a press
//! on the plan or on a handle, a move, a release, a key, a tool) change the
//! drawing and the designer's own state, with no browser involved, so every
//! gesture is unit-tested. The component only turns pointer events into
//! [`Input`]s (client pixels to plan feet) and draws the result.

use crate::model::takeoff::{Drawing, Pt, MAX_BOUNDARY_POINTS, MAX_CROSSINGS, MAX_LEAD_POINTS};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tool {
    Boundary,
    Transmitter,
    Lead,
    Crossing,
    Pin,
}

impl Tool {
    pub const ALL: [Tool; 5] = [
        Tool::Boundary,
        Tool::Transmitter,
        Tool::Lead,
        Tool::Crossing,
        Tool::Pin,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Tool::Boundary => "Boundary",
            Tool::Transmitter => "Transmitter",
            Tool::Lead => "Lead",
            Tool::Crossing => "Crossing",
            Tool::Pin => "Move pin",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Tool::Boundary => "Tap or click to add a boundary point; drag a point to move it; select a point and press Delete point (or the Delete key) to remove it.",
            Tool::Transmitter => "Tap or click where the transmitter goes (indoors, near an outlet).",
            Tool::Lead => "Mark the transmitter first, then tap along the twisted lead's path to where it meets the boundary.",
            Tool::Crossing => "Tap the two ends of a driveway or path crossing (a twisted section).",
            Tool::Pin => "Tap where the property's pin belongs (on the map, the house): its latitude and longitude move there and the drawing stays where it is.",
        }
    }
}

/// A point of the drawing that can be selected and dragged.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Handle {
    Boundary(usize),
    Transmitter,
    Lead(usize),
    Crossing(usize, usize),
}

/// What the user did, in plan feet.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Input {
    /// A press on the plan itself (not on a handle).
    PressPlan(Pt),
    /// A press on a handle: select it and start dragging it.
    PressHandle(Handle),
    /// The pointer moved (while pressed or not).
    Move(Pt),
    /// The pointer was released or cancelled.
    Release,
    /// A double click on a handle deletes it.
    DoubleClickHandle(Handle),
    /// The Delete or Backspace key, or the Delete point button.
    Delete,
    ChooseTool(Tool),
    Clear,
}

/// What the component must do beyond redrawing.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Effect {
    None,
    /// The pin moved by this offset in feet (east, south): the property's
    /// location follows.
    PinMoved(Pt),
}

/// The designer's own state besides the drawing.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct State {
    pub tool: Tool,
    pub selected: Option<Handle>,
    pub dragging: Option<Handle>,
    /// The first end of a crossing being drawn.
    pub pending_crossing: Option<Pt>,
    /// Whether the Move pin tool is offered.
    pub pin_tool: bool,
}

impl State {
    pub fn new(pin_tool: bool) -> State {
        State {
            tool: Tool::Boundary,
            selected: None,
            dragging: None,
            pending_crossing: None,
            pin_tool,
        }
    }

    /// Applies one input to the drawing and the state.
    pub fn apply(&mut self, d: &mut Drawing, input: Input) -> Effect {
        match input {
            Input::PressPlan(p) => return self.press_plan(d, p),
            Input::PressHandle(h) => {
                self.selected = Some(h);
                self.dragging = Some(h);
            }
            Input::Move(p) => {
                if let Some(h) = self.dragging {
                    set_handle(d, h, p);
                }
            }
            Input::Release => self.dragging = None,
            Input::DoubleClickHandle(h) => {
                self.selected = Some(h);
                self.delete(d);
            }
            Input::Delete => self.delete(d),
            Input::ChooseTool(t) => {
                if t != Tool::Pin || self.pin_tool {
                    self.tool = t;
                }
                self.pending_crossing = None;
            }
            Input::Clear => {
                d.boundary.clear();
                d.lead.clear();
                d.crossings.clear();
                d.transmitter = None;
                self.selected = None;
                self.dragging = None;
                self.pending_crossing = None;
            }
        }
        Effect::None
    }

    fn press_plan(&mut self, d: &mut Drawing, p: Pt) -> Effect {
        self.selected = None;
        match self.tool {
            Tool::Boundary => {
                if d.boundary.len() < MAX_BOUNDARY_POINTS {
                    d.boundary.push(p);
                    self.selected = Some(Handle::Boundary(d.boundary.len() - 1));
                }
            }
            Tool::Transmitter => d.transmitter = Some(p),
            Tool::Lead => {
                if d.transmitter.is_some() && d.lead.len() < MAX_LEAD_POINTS {
                    d.lead.push(p);
                }
            }
            Tool::Crossing => match self.pending_crossing.take() {
                None => self.pending_crossing = Some(p),
                Some(a) => {
                    if d.crossings.len() < MAX_CROSSINGS {
                        d.crossings.push([a, p]);
                    }
                }
            },
            Tool::Pin => {
                if self.pin_tool {
                    for q in d.points_mut() {
                        q.x -= p.x;
                        q.y -= p.y;
                    }
                    return Effect::PinMoved(p);
                }
            }
        }
        Effect::None
    }

    fn delete(&mut self, d: &mut Drawing) {
        if let Some(h) = self.selected.take() {
            match h {
                Handle::Boundary(i) if i < d.boundary.len() => {
                    d.boundary.remove(i);
                }
                Handle::Transmitter => {
                    d.transmitter = None;
                    d.lead.clear();
                }
                Handle::Lead(i) if i < d.lead.len() => {
                    d.lead.remove(i);
                }
                Handle::Crossing(i, _) if i < d.crossings.len() => {
                    d.crossings.remove(i);
                }
                _ => {}
            }
        }
        self.dragging = None;
    }
}

/// Moves one handle's point.
fn set_handle(d: &mut Drawing, h: Handle, p: Pt) {
    match h {
        Handle::Boundary(i) => {
            if let Some(q) = d.boundary.get_mut(i) {
                *q = p
            }
        }
        Handle::Transmitter => d.transmitter = Some(p),
        Handle::Lead(i) => {
            if let Some(q) = d.lead.get_mut(i) {
                *q = p
            }
        }
        Handle::Crossing(i, e) => {
            if let Some(c) = d.crossings.get_mut(i) {
                c[e] = p
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: f64, y: f64) -> Pt {
        Pt::new(x, y)
    }

    fn run(s: &mut State, d: &mut Drawing, inputs: &[Input]) -> Vec<Effect> {
        inputs.iter().map(|i| s.apply(d, *i)).collect()
    }

    #[test]
    fn presses_on_the_plan_add_boundary_points_and_select_the_last() {
        let (mut s, mut d) = (State::new(false), Drawing::default());
        run(
            &mut s,
            &mut d,
            &[
                Input::PressPlan(pt(0.0, 0.0)),
                Input::PressPlan(pt(10.0, 0.0)),
            ],
        );
        assert_eq!(d.boundary, vec![pt(0.0, 0.0), pt(10.0, 0.0)]);
        assert_eq!(s.selected, Some(Handle::Boundary(1)));
    }

    #[test]
    fn dragging_a_handle_moves_only_that_point_until_release() {
        let (mut s, mut d) = (State::new(false), Drawing::default());
        run(
            &mut s,
            &mut d,
            &[
                Input::PressPlan(pt(0.0, 0.0)),
                Input::PressPlan(pt(10.0, 0.0)),
            ],
        );
        run(
            &mut s,
            &mut d,
            &[
                Input::PressHandle(Handle::Boundary(0)),
                Input::Move(pt(-5.0, 2.0)),
                Input::Release,
                Input::Move(pt(99.0, 99.0)),
            ],
        );
        assert_eq!(d.boundary, vec![pt(-5.0, 2.0), pt(10.0, 0.0)]);
        assert_eq!(s.dragging, None);
        assert_eq!(s.selected, Some(Handle::Boundary(0)));
    }

    #[test]
    fn delete_removes_the_selected_point_and_a_transmitter_takes_its_lead() {
        let (mut s, mut d) = (State::new(false), Drawing::default());
        run(
            &mut s,
            &mut d,
            &[
                Input::PressPlan(pt(0.0, 0.0)),
                Input::ChooseTool(Tool::Lead),
                Input::PressPlan(pt(5.0, 5.0)),
            ],
        );
        assert!(d.lead.is_empty(), "no lead without a transmitter");
        run(
            &mut s,
            &mut d,
            &[
                Input::ChooseTool(Tool::Transmitter),
                Input::PressPlan(pt(1.0, 1.0)),
                Input::ChooseTool(Tool::Lead),
                Input::PressPlan(pt(5.0, 5.0)),
                Input::PressHandle(Handle::Boundary(0)),
                Input::Release,
                Input::Delete,
            ],
        );
        assert!(d.boundary.is_empty());
        assert_eq!(d.lead, vec![pt(5.0, 5.0)]);
        run(
            &mut s,
            &mut d,
            &[Input::DoubleClickHandle(Handle::Transmitter)],
        );
        assert_eq!(d.transmitter, None);
        assert!(d.lead.is_empty());
        assert_eq!(s.selected, None);
    }

    #[test]
    fn a_crossing_takes_two_presses_and_a_tool_change_drops_a_half_crossing() {
        let (mut s, mut d) = (State::new(false), Drawing::default());
        run(
            &mut s,
            &mut d,
            &[
                Input::ChooseTool(Tool::Crossing),
                Input::PressPlan(pt(0.0, 0.0)),
            ],
        );
        assert_eq!(s.pending_crossing, Some(pt(0.0, 0.0)));
        run(
            &mut s,
            &mut d,
            &[
                Input::ChooseTool(Tool::Crossing),
                Input::PressPlan(pt(1.0, 1.0)),
            ],
        );
        assert!(d.crossings.is_empty());
        run(&mut s, &mut d, &[Input::PressPlan(pt(2.0, 2.0))]);
        assert_eq!(d.crossings, vec![[pt(1.0, 1.0), pt(2.0, 2.0)]]);
        assert_eq!(s.pending_crossing, None);
    }

    #[test]
    fn moving_the_pin_shifts_the_drawing_and_reports_the_offset() {
        let (mut s, mut d) = (State::new(true), Drawing::default());
        run(
            &mut s,
            &mut d,
            &[
                Input::PressPlan(pt(10.0, 10.0)),
                Input::ChooseTool(Tool::Pin),
            ],
        );
        let e = run(&mut s, &mut d, &[Input::PressPlan(pt(4.0, -6.0))]);
        assert_eq!(e, vec![Effect::PinMoved(pt(4.0, -6.0))]);
        assert_eq!(d.boundary, vec![pt(6.0, 16.0)]);
        // Without a pin to move, the tool is not offered.
        let (mut s, mut d) = (State::new(false), Drawing::default());
        run(&mut s, &mut d, &[Input::ChooseTool(Tool::Pin)]);
        assert_eq!(s.tool, Tool::Boundary);
    }

    #[test]
    fn the_limits_hold_and_clear_empties_everything() {
        let (mut s, mut d) = (State::new(false), Drawing::default());
        for i in 0..MAX_BOUNDARY_POINTS + 5 {
            s.apply(&mut d, Input::PressPlan(pt(i as f64, 0.0)));
        }
        assert_eq!(d.boundary.len(), MAX_BOUNDARY_POINTS);
        run(
            &mut s,
            &mut d,
            &[
                Input::ChooseTool(Tool::Transmitter),
                Input::PressPlan(pt(0.0, 0.0)),
                Input::Clear,
            ],
        );
        assert!(d.boundary.is_empty() && d.transmitter.is_none());
        assert_eq!(s.selected, None);
    }
}

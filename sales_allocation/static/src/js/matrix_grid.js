odoo.define('sales_allocation.MatrixGrid', function (require) {
"use strict";

/**
 * The grid of a region x product line matrix, shown in place of its cells (field
 * ``cell_ids`` of ``sales.allocation.matrix``): regions as rows, product lines as
 * columns. Each square shows who gets those leads; a square covered only through a
 * parent category or the country's region says so; a square nobody covers (a gap)
 * stands out. A click opens the cell in a dialog (or creates it); saving redraws the
 * grid. The server computes the coverage (``get_grid``), with the same engine that
 * allocates leads, so the grid cannot disagree with what allocation does.
 */
var AbstractField = require('web.AbstractField');
var core = require('web.core');
var Dialog = require('web.Dialog');
var field_registry = require('web.field_registry');
var dialogs = require('web.view_dialogs');

var qweb = core.qweb;
var _t = core._t;

var CELL_MODEL = 'sales.allocation.matrix.cell';

var MatrixGrid = AbstractField.extend({
    className: 'o_sales_allocation_matrix_grid',
    supportedFieldTypes: ['one2many'],
    events: _.extend({}, AbstractField.prototype.events, {
        'click .o_matrix_cell': '_onCellClick',
        'click .o_matrix_cell_remove': '_onRemoveClick',
    }),

    /**
     * The grid is always live: cells are saved on their own, from the dialog.
     *
     * @override
     */
    isSet: function () {
        return true;
    },

    //--------------------------------------------------------------------------
    // Private
    //--------------------------------------------------------------------------

    /**
     * @override
     * @returns {Deferred}
     */
    _render: function () {
        var self = this;
        if (!this.res_id) {
            this.$el.html(qweb.render('sales_allocation.MatrixGridUnsaved'));
            return $.when();
        }
        return this._rpc({
            model: 'sales.allocation.matrix',
            method: 'get_grid',
            args: [[this.res_id]],
            context: this.record.getContext(),
        }).then(function (grid) {
            self.grid = grid;
            self.$el.html(qweb.render('sales_allocation.MatrixGrid', {
                grid: grid,
                describe: self._describe.bind(self),
                _t: _t,
            }));
        });
    },
    /**
     * Text and tooltip of one square of the grid.
     *
     * @param {Object} entry one entry of a row, as get_grid returns it
     * @returns {Object} {text, icon, title}
     */
    _describe: function (entry) {
        var icons = {user: 'fa-user', queue: 'fa-users', pool: 'fa-inbox'};
        var kinds = {user: _t("Salesperson"), queue: _t("Queue"), pool: _t("Pool")};
        if (entry.state === 'gap') {
            return {
                text: _t("Not covered"),
                icon: 'fa-exclamation-triangle',
                title: _t("No cell covers these leads: the next rule takes them. Click to choose who gets them."),
            };
        }
        var title = kinds[entry.target_type] + ': ' + entry.target;
        if (entry.specialist) {
            title += '\n' + _t("Product specialist") + ': ' + entry.specialist;
        }
        if (entry.state === 'inherited') {
            title += '\n' + _.str.sprintf(_t("Covered by the cell %s. Click to give these leads a cell of their own."), entry.source);
        } else {
            title += '\n' + _t("Click to change.");
        }
        return {text: entry.target, icon: icons[entry.target_type], title: title};
    },
    /**
     * Opens the cell of a square in a dialog, or a new cell for an empty square.
     *
     * @param {integer} regionID
     * @param {integer} categoryID
     * @param {integer|false} cellID the square's own cell, if any
     */
    _openCell: function (regionID, categoryID, cellID) {
        var self = this;
        var row = _.findWhere(this.grid.rows, {id: regionID});
        var column = _.findWhere(this.grid.columns, {id: categoryID});
        var title = _.str.sprintf(_t("Who gets the %s leads of %s?"), column.name, row.name);
        new dialogs.FormViewDialog(this, {
            res_model: CELL_MODEL,
            res_id: cellID || undefined,
            title: title,
            disable_multiple_selection: true,
            context: _.extend({}, this.record.getContext(), {
                default_matrix_id: this.res_id,
                default_region_id: regionID,
                default_product_category_id: categoryID,
            }),
            on_saved: function () {
                return self._render();
            },
        }).open();
    },

    //--------------------------------------------------------------------------
    // Handlers
    //--------------------------------------------------------------------------

    /**
     * @private
     * @param {MouseEvent} ev
     */
    _onCellClick: function (ev) {
        ev.preventDefault();
        ev.stopPropagation();
        var $cell = $(ev.currentTarget);
        this._openCell($cell.data('region-id'), $cell.data('category-id'),
                       $cell.data('state') === 'direct' ? $cell.data('cell-id') : false);
    },
    /**
     * @private
     * @param {MouseEvent} ev
     */
    _onRemoveClick: function (ev) {
        ev.preventDefault();
        ev.stopPropagation();
        var self = this;
        var cellID = $(ev.currentTarget).closest('.o_matrix_cell').data('cell-id');
        Dialog.confirm(this, _t("Remove this cell? Its leads will follow the parent product line's cell, the country's region, or the next rule."), {
            confirm_callback: function () {
                return self._rpc({
                    model: CELL_MODEL,
                    method: 'unlink',
                    args: [[cellID]],
                }).then(function () {
                    return self._render();
                });
            },
        });
    },
});

field_registry.add('sales_allocation_matrix_grid', MatrixGrid);

return MatrixGrid;

});
